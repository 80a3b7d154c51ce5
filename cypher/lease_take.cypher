// Take the write lease of the records for one writer, or keep it: orggraph's writers write one at a time.
// The meta node is written first (lease_asked), so that its lock is held before the lease is read: two
// writers asking at once on Neo4j see each other's lease; FalkorDB runs one query at a time.
// params: holder (text naming the writer), ttl (milliseconds the lease lasts unless taken again)
// returns: taken (true when the lease is the holder's)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.lease_asked = timestamp()
WITH m, timestamp() AS now
WITH m, now, (coalesce(m.lease_until, 0) < now OR m.lease_holder = $holder) AS free
SET m.lease_holder = CASE WHEN free THEN $holder ELSE m.lease_holder END,
    m.lease_until = CASE WHEN free THEN now + $ttl ELSE m.lease_until END
RETURN free
