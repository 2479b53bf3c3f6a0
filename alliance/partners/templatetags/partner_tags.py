"""Template tags of the partner pages: the menu entry of an organisation's administrator."""

from django import template

from alliance.partners.selectors import organisations_administered_by

register = template.Library()


@register.simple_tag(takes_context=True)
def administers_an_organisation(context: template.Context) -> bool:
    """Whether the logged-in user administers a partner organisation (the "My organisation" link)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return organisations_administered_by(user).exists()
