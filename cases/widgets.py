"""The seller filters' widgets, written in Python exactly as Django's own templates write them.

A list page renders six of them on every request; through the form renderer each is a template
with an include per option and per attribute list, a tenth of the page's Python time. These write
the same HTML (`tests/cases/test_widgets.py` compares them with Django's widgets) in one pass.
"""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def attrs_html(attrs: dict) -> str:
    """`django/forms/widgets/attrs.html`: ` name="value"` each, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PythonInputMixin:
    """`django/forms/widgets/input.html`."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        given = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
        return mark_safe(
            f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f'{given}{attrs_html(widget["attrs"])}>'
        )


class TextInput(PythonInputMixin, forms.TextInput):
    pass


class DateInput(PythonInputMixin, forms.DateInput):
    input_type = "date"


class Select(forms.Select):
    """`django/forms/widgets/select.html`, each option as `select_option.html` writes it."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{conditional_escape(option["value"])}"{attrs_html(option["attrs"])}>'
                f'{conditional_escape(option["label"])}</option>\n'
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))
