// The schema on FalkorDB: an exact-match index on id for every node kind, and one on fold (set only where
// an id is spelled otherwise than its fold: folds_of.cypher), then a unique constraint on id, which
// FalkorDB makes with a server command rather than Cypher (GRAPH.CONSTRAINT; the graph name is put in
// after CREATE). One statement a line; statements that find their index made already are skipped.
CREATE INDEX FOR (n:Area) ON (n.id)
CREATE INDEX FOR (n:Org) ON (n.id)
CREATE INDEX FOR (n:Unit) ON (n.id)
CREATE INDEX FOR (n:Member) ON (n.id)
CREATE INDEX FOR (n:Household) ON (n.id)
CREATE INDEX FOR (n:Area) ON (n.fold)
CREATE INDEX FOR (n:Org) ON (n.fold)
CREATE INDEX FOR (n:Unit) ON (n.fold)
CREATE INDEX FOR (n:Member) ON (n.fold)
CREATE INDEX FOR (n:Household) ON (n.fold)
CREATE INDEX FOR (n:OrgGraphMeta) ON (n.id)
CREATE INDEX FOR (n:OrgGraphToken) ON (n.id)
CREATE INDEX FOR (n:OrgGraphToken) ON (n.hash)
CREATE INDEX FOR (n:OrgGraphIncident) ON (n.id)
CREATE INDEX FOR (n:OrgGraphMark) ON (n.incident)
CREATE INDEX FOR (n:OrgGraphAudit) ON (n.seq)
CREATE INDEX FOR (n:OrgGraphHistory) ON (n.seq)
GRAPH.CONSTRAINT CREATE UNIQUE NODE Area PROPERTIES 1 id
GRAPH.CONSTRAINT CREATE UNIQUE NODE Org PROPERTIES 1 id
GRAPH.CONSTRAINT CREATE UNIQUE NODE Unit PROPERTIES 1 id
GRAPH.CONSTRAINT CREATE UNIQUE NODE Member PROPERTIES 1 id
GRAPH.CONSTRAINT CREATE UNIQUE NODE Household PROPERTIES 1 id
GRAPH.CONSTRAINT CREATE UNIQUE NODE OrgGraphMeta PROPERTIES 1 id
