"""Risk and early warning: the district panel, forecasts with honest backtests, and (elsewhere) the index."""
