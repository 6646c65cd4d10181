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
