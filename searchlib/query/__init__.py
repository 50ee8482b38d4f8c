"""Query trees: built in the container from YQL and HTTP parameters, executed on content nodes."""
