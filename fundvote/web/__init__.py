"""HTML views: one blueprint per area. Views are thin: they read the request, call one
service with ``current_runtime().session_factory`` and render a template."""
