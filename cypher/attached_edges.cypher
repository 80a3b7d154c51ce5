// The edges from or to some nodes of one label, each once, to count what a removal takes with it.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $ids: the node ids
// returns: type, the relationship's internal id
UNWIND $ids AS id
MATCH (n:{label} {id: id})-[r]-()
RETURN DISTINCT type(r), id(r)
