package org.orggraph.test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/**
 * Starts Neo4j 5 Community (the test harness) with Bolt on 127.0.0.1, prints {@code bolt://127.0.0.1:PORT}
 * as its last line once it serves, and stops on SIGTERM or SIGINT within two seconds, deleting its files.
 *
 * <p>Arguments: the port (0 or none: a free one). Authentication is off, or on with the user {@code neo4j}
 * and the password in {@code $NEO4J_PASSWORD} when that is set. Nothing is kept: the database lives in a
 * temporary folder.
 */
public final class LocalNeo4j {
    private LocalNeo4j() {
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        if (port == 0) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", 0));
                port = socket.getLocalPort();
            }
        }
        String password = System.getenv("NEO4J_PASSWORD");
        boolean auth = password != null && !password.isEmpty();
        Path folder = Files.createTempDirectory("orggraph-neo4j-");
        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(folder)
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withConfig(GraphDatabaseSettings.auth_enabled, auth)
                .build();
        if (auth) {
            neo4j.databaseManagementService().database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Neo4j's own close waits some ten seconds for its thread pools; a throwaway server gives it
            // two, then deletes its files (the database is never opened again) and ends
            Thread closing = new Thread(neo4j::close);
            closing.setDaemon(true);
            closing.start();
            try {
                closing.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delete(folder);
            Runtime.getRuntime().halt(0);
        }));
        System.out.println("bolt://127.0.0.1:" + port);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void delete(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + folder + ": " + e.getMessage());
        }
    }
}
