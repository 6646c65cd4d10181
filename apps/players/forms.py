from django import forms


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=30)
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    display_name = forms.CharField(max_length=60, required=False)


class LoginForm(forms.Form):
    username = forms.CharField(max_length=30)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=60, required=False)
    email = forms.EmailField()
    current_password = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        required=False,
        help_text="needed to change the e-mail address",
    )


class PasswordForm(forms.Form):
    current_password = forms.CharField(widget=forms.PasswordInput, strip=False)
    new_password = forms.CharField(widget=forms.PasswordInput, strip=False)


class PasswordResetForm(forms.Form):
    email = forms.EmailField(label="E-mail address of your account")


class PasswordResetSetForm(forms.Form):
    new_password = forms.CharField(widget=forms.PasswordInput, strip=False)
    new_password_again = forms.CharField(
        widget=forms.PasswordInput, strip=False, label="New password, again"
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords differ.")
        return data
