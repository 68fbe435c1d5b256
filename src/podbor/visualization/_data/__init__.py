"""Plot data: every plot's numbers computed once, backend-free, drawn by plotly, matplotlib and
the dashboard alike. Each module builds one plot's data from a study (plain dataclasses of lists
and numpy arrays); the renderers only draw them."""
