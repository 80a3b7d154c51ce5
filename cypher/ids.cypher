// Every id of one kind, unordered (the caller sorts: a sort on the server costs more).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// returns: id
MATCH (n:{label})
RETURN n.id
