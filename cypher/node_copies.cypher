// A page of nodes of one kind by id with the copies of the fields the queries filter on (name, level,
// status, people, vulnerable) and the id's fold (see folds_of), which copies_out_of_step compares with the
// record.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $ids: [id] of the page
// returns: id, props (the record as JSON text), name, level, status, people, vulnerable, fold
MATCH (n:{label})
WHERE n.id IN $ids
RETURN n.id, n.props, n.name, n.level, n.status, n.people, n.vulnerable, n.fold
