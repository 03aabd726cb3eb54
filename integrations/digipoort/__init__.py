"""Digipoort (WUS 2.0): one interface, the SOAP client and a simulator of ours."""


def client_from_settings():
    """The WUS client for the Digipoort endpoints, certificate and key in the settings."""
    from sbrflow.config.settings import get_settings
    from sbrflow.domain.errors import SbrflowError
    from sbrflow.integrations.digipoort.client import WusClient

    settings = get_settings()
    if not settings.digipoort_cert_file or not settings.digipoort_key_file:
        raise SbrflowError("set SBRFLOW_DIGIPOORT_CERT_FILE and SBRFLOW_DIGIPOORT_KEY_FILE (the office's "
                           "services certificate and key) to submit to Digipoort")
    return WusClient(settings.digipoort_aanlever_url, settings.digipoort_status_url,
                     cert_file=settings.digipoort_cert_file, key_file=settings.digipoort_key_file,
                     ca_file=settings.digipoort_ca_file, connect_timeout=settings.digipoort_connect_timeout,
                     read_timeout=settings.digipoort_read_timeout)
