"""Digipoort (WUS 2.0): one interface, the SOAP client and a simulator of ours."""
