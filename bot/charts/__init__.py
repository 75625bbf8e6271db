"""Pictures of a step's Prometheus series over a window, for the thread:
which query to draw (spec), its range from Prometheus (series), and the PNG
(draw, matplotlib's Agg backend, imported only when a chart is drawn)."""
