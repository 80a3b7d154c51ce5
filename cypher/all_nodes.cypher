// Every node of one kind with its record, unordered: what the compact index is built from.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// returns: id, props (the record as JSON text)
MATCH (n:{label})
RETURN n.id, n.props
