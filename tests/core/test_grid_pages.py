"""The grid worker's walk: grid → building → unit → household, masked and scoped."""

from django.urls import reverse


def login(client, user):
    client.force_login(user)
    return client


def test_a_grid_worker_sees_only_their_grid(client, city, grid_worker):
    login(client, grid_worker)
    page = client.get(reverse("territory:my_grids")).content.decode()
    assert "第一网格" in page
    assert "第二网格" not in page


def test_the_grid_page_lists_its_buildings_with_resident_counts(client, city, grid_worker):
    login(client, grid_worker)
    response = client.get(reverse("territory:grid", args=[city.grid_a.code]))
    page = response.content.decode()
    assert "1号楼" in page and "2号楼" not in page
    assert response.context["rows"] == [(city.building1, 1)]


def test_another_grid_is_not_found(client, city, grid_worker):
    login(client, grid_worker)
    assert client.get(reverse("territory:grid", args=[city.grid_b.code])).status_code == 404
    assert client.get(reverse("territory:node", args=[city.home2.pk])).status_code == 404
    assert client.get(reverse("territory:node", args=[city.building2.pk])).status_code == 404


def test_the_household_page_masks_id_numbers_and_phones(client, city, grid_worker):
    login(client, grid_worker)
    page = client.get(reverse("territory:node", args=[city.home1.pk])).content.decode()
    assert "张丽" in page
    assert city.alice.id_number not in page
    assert city.alice.id_number[:6] + "********" + city.alice.id_number[-4:] in page
    assert "13812345678" not in page and "138****5678" in page
    assert "李强" not in page


def test_a_building_page_walks_down_to_units(client, city, grid_worker):
    login(client, grid_worker)
    response = client.get(reverse("territory:node", args=[city.building1.pk]))
    assert [child.name for child in response.context["children"]] == ["1单元"]


def test_pages_need_a_login(client, city):
    response = client.get(reverse("territory:my_grids"))
    assert response.status_code == 302 and "/login/" in response["Location"]
