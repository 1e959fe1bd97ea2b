"""Synthetic SME feeds: sales export generator and CRM API simulator."""
