"""Alerts: rules over incidents, forecasts and indicators, an inbox, and delivery to subscribers."""
