// What the questions read of some nodes (orggraph.facts.NodeFacts), from the copies load_nodes keeps
// beside the record: one branch a node kind, each through its id index. The branches are the node kinds
// of orggraph.model.NODE_KINDS (a test holds them in step).
// $ids: [id]
// returns: id, kind, name, level, status, people, vulnerable
MATCH (n:Area) WHERE n.id IN $ids
RETURN n.id AS id, 'Area' AS kind, n.name AS name, n.level AS level, n.status AS status, n.people AS people, n.vulnerable AS vulnerable
UNION ALL
MATCH (n:Org) WHERE n.id IN $ids
RETURN n.id AS id, 'Org' AS kind, n.name AS name, n.level AS level, n.status AS status, n.people AS people, n.vulnerable AS vulnerable
UNION ALL
MATCH (n:Unit) WHERE n.id IN $ids
RETURN n.id AS id, 'Unit' AS kind, n.name AS name, n.level AS level, n.status AS status, n.people AS people, n.vulnerable AS vulnerable
UNION ALL
MATCH (n:Member) WHERE n.id IN $ids
RETURN n.id AS id, 'Member' AS kind, n.name AS name, n.level AS level, n.status AS status, n.people AS people, n.vulnerable AS vulnerable
UNION ALL
MATCH (n:Household) WHERE n.id IN $ids
RETURN n.id AS id, 'Household' AS kind, n.name AS name, n.level AS level, n.status AS status, n.people AS people, n.vulnerable AS vulnerable
