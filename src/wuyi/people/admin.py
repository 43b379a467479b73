from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wuyi.people.masking import mask_id_number, mask_phone
from wuyi.people.models import Residence, Resident


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_id_number", "gender", "birth_date", "masked_phone", "status"]
    list_filter = ["status", "district_code", "elderly_alone", "bedridden", "no_smartphone"]
    search_fields = ["name"]
    raw_id_fields = ["household", "grid"]
    readonly_fields = ["path", "district_code", "code_token", "created_at", "updated_at"]
    show_full_result_count = False

    # Full ID numbers and phones are not shown even here: a change form shows them masked
    # (they are set when a resident is added, and corrected through the app's services).
    def get_exclude(self, request, obj=None):
        return ["id_number", "phone"] if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        extra = ["masked_id_number", "masked_phone"] if obj is not None else []
        return [*extra, *super().get_readonly_fields(request, obj)]

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj: Resident) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: Resident) -> str:
        return mask_phone(obj.phone)


@admin.register(Residence)
class ResidenceAdmin(admin.ModelAdmin):
    list_display = ["resident", "household", "moved_in", "moved_out"]
    raw_id_fields = ["resident", "household"]
