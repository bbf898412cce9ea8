"""rill.resources: the icon, the style sheet and other files the window loads."""
