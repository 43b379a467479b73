from django.contrib import admin

from wuyi.territory.models import Grid, Node


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "path", "grid"]
    list_filter = ["kind", "district_code"]
    search_fields = ["name", "path"]
    raw_id_fields = ["parent", "grid"]
    show_full_result_count = False


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "community"]
    search_fields = ["name", "code"]
    raw_id_fields = ["community"]
    filter_horizontal = ["workers"]
