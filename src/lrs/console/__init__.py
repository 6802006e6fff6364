"""The admin console's presentation: Jinja2 templates (autoescaped, no CDN, no scripts) and
server-side SVG charts. Pure: no fastapi or sqlalchemy here."""
