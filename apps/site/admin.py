import base64

from django import forms
from django.contrib import admin

from apps.backoffice.sites import brand_site
from apps.site.look import look_forget
from apps.site.models import LOGO_MAX_BYTES, SiteSettings

# The image types a logo may be, by their first bytes (what the file says it is is not trusted).
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def logo_type(data: bytes) -> str | None:
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class SiteSettingsForm(forms.ModelForm):
    logo_file = forms.FileField(
        required=False,
        label="Logo",
        help_text=f"a PNG, JPEG, GIF or WebP image of at most {LOGO_MAX_BYTES // 1024} KB",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    class Meta:
        model = SiteSettings
        fields = ["title", "tagline", "primary_colour"]

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB.", code="logo_too_large"
            )
        data = upload.read()
        kind = logo_type(data)
        if kind is None:
            raise forms.ValidationError(
                "The logo must be a PNG, JPEG, GIF or WebP image.", code="logo_not_an_image"
            )
        return f"data:{kind};base64,{base64.b64encode(data).decode()}"

    def save(self, commit=True):
        look = super().save(commit=False)
        if self.cleaned_data.get("remove_logo"):
            look.logo = ""
        elif self.cleaned_data.get("logo_file"):
            look.logo = self.cleaned_data["logo_file"]
        if commit:
            look.save()
        return look


@admin.register(SiteSettings, site=brand_site)
class SiteSettingsAdmin(admin.ModelAdmin):
    form = SiteSettingsForm
    list_display = ["title", "tagline", "primary_colour"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        look_forget(request.tenant.pk)  # this process shows the new look at once
