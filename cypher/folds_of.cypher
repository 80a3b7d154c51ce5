// The nodes whose id is spelled otherwise than its fold (orggraph.model.fold: NFKC, then casefold) and
// folds to one of some folds: one branch a node kind, each through its index on fold. A load refuses an
// id that folds alike a stored id (one id, one thing). The branches are the node kinds of
// orggraph.model.NODE_KINDS (a test holds them in step).
// $folds: [fold]
// returns: fold, id
MATCH (n:Area) WHERE n.fold IN $folds RETURN n.fold AS fold, n.id AS id
UNION ALL
MATCH (n:Org) WHERE n.fold IN $folds RETURN n.fold AS fold, n.id AS id
UNION ALL
MATCH (n:Unit) WHERE n.fold IN $folds RETURN n.fold AS fold, n.id AS id
UNION ALL
MATCH (n:Member) WHERE n.fold IN $folds RETURN n.fold AS fold, n.id AS id
UNION ALL
MATCH (n:Household) WHERE n.fold IN $folds RETURN n.fold AS fold, n.id AS id
