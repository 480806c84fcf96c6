"""Documents rendered from the domain's texts: HTML, and PDF from that HTML."""
