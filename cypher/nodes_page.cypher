// A page of nodes of one kind by id, in id order.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $ids: [id] of the page
// returns: id, props (the record as JSON text)
MATCH (n:{label})
WHERE n.id IN $ids
RETURN n.id, n.props
ORDER BY n.id
