"""Rendering the Jinja SQL templates of ``sql_templates/`` for one dialect (``bqml_tools.sql.render``)."""
