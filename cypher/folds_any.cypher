// Whether any node of one kind has an id spelled otherwise than its fold (n.fold is set): asked once a
// load, so that a store with none (most ids are ASCII with no capital letter) is not asked of every batch.
// Through the index on fold (a range from '' on: every fold holds a character; IS NOT NULL would make
// FalkorDB scan the label).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// returns: one id, or no row
MATCH (n:{label})
WHERE n.fold > ''
RETURN n.id
LIMIT 1
