// Load nodes of one label, idempotently: a node is keyed by id; a record loaded again replaces it.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $rows: [{id, props, name, level, status, people, flags, vulnerable, fold}]
//   props: every property as the JSON text of the record, for an exact round trip;
//   fold: the id's fold (orggraph.model.fold) when the id is spelled otherwise, else null (folds_of.cypher);
//   the others: the properties the queries read, as plain values (null when absent)
// returns: how many nodes were added or changed (an identical record is left alone)
UNWIND $rows AS row
MERGE (n:{label} {id: row.id})
WITH n, row
WHERE n.props IS NULL OR n.props <> row.props
SET n.props = row.props, n.name = row.name, n.level = row.level, n.status = row.status,
    n.people = row.people, n.vulnerable = row.vulnerable, n.fold = row.fold
RETURN count(n) AS written
