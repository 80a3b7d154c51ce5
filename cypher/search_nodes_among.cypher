// The records of some ids, of one kind, that may hold one of some texts, unordered (the caller sorts):
// those whose JSON text holds one of them, letters in either case; each through its id index.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $texts: [text, as a record's JSON text writes it]; $ids: [id]
// returns: id, props (the record as JSON text)
MATCH (n:{label})
WHERE n.id IN $ids AND any(t IN $texts WHERE toLower(n.props) CONTAINS toLower(t))
RETURN n.id AS id, n.props AS props
