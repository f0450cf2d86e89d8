# GUIDE_URL: this site's address, as in your browser's address bar, without the page's path
curl --fail --silent --show-error --location --remote-name \
  "${GUIDE_URL:?set GUIDE_URL to the address of this site}/downloads/mtls_certs.py"
