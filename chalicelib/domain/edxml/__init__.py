"""edXML packages (QCVN 102:2016/BTTTT): a streaming, safe reader, the header rules, a
streaming writer and status packages. Pure: bytes and streams are handed in, nothing is
opened or fetched here. See docs/edxml.md."""

XML_MEDIA_TYPES = ("application/xml", "text/xml")  # what a package is sent as
