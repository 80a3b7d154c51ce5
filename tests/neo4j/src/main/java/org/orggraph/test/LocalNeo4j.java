package org.orggraph.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
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
 * and the password in {@code $NEO4J_PASSWORD} when that is set (at least eight characters, Neo4j's rule).
 * Nothing is kept: the database lives in a temporary folder, deleted when it stops, when it ends during
 * its start, or when Neo4j fails to start. Wrong arguments end it at once with one line on stderr and
 * exit status 2; a Neo4j that fails to start, with the stack trace and exit status 1.
 */
public final class LocalNeo4j {
    /** The fewest characters a password may have: Neo4j's {@code dbms.security.auth_minimum_password_length}. */
    private static final int MIN_PASSWORD = 8;

    private LocalNeo4j() {
    }

    public static void main(String[] args) throws Exception {
        String password = System.getenv("NEO4J_PASSWORD");
        boolean auth = password != null && !password.isEmpty();
        if (auth && password.codePointCount(0, password.length()) < MIN_PASSWORD) {
            refuse("NEO4J_PASSWORD must be at least " + MIN_PASSWORD + " characters long (Neo4j's rule)");
        }
        int port = 0;
        if (args.length > 0) {
            try {
                port = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                refuse("the port must be a number, not " + args[0]);
            }
        }
        if (port == 0) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", 0));
                port = socket.getLocalPort();
            }
        }
        Path folder = Files.createTempDirectory("orggraph-neo4j-");
        AtomicReference<Neo4j> started = new AtomicReference<>();
        // from here on, SIGTERM or SIGINT deletes the files, while Neo4j starts as well as once it serves
        Runtime.getRuntime().addShutdownHook(new Thread(() -> end(started.get(), folder, 0)));
        try {
            Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(folder)
                    .withDisabledServer()
                    .withConfig(BoltConnector.enabled, true)
                    .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                    .withConfig(GraphDatabaseSettings.auth_enabled, auth)
                    .build();
            started.set(neo4j);
            if (auth) {
                neo4j.databaseManagementService().database("system").executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
            }
        } catch (Throwable e) {
            e.printStackTrace();
            end(started.get(), folder, 1);
        }
        System.out.println("bolt://127.0.0.1:" + port);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void refuse(String message) {
        System.err.println(message);
        System.exit(2);
    }

    /**
     * Neo4j's own close waits some ten seconds for its thread pools; a throwaway server gives it two, then
     * deletes its files (the database is never opened again) and ends the JVM with {@code status}.
     */
    private static void end(Neo4j neo4j, Path folder, int status) {
        if (neo4j != null) {
            Thread closing = new Thread(neo4j::close);
            closing.setDaemon(true);
            closing.start();
            try {
                closing.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        delete(folder);
        deleteLogConfiguration(folder);
        Runtime.getRuntime().halt(status);
    }

    private static void delete(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            if (Files.exists(folder)) {
                System.err.println("could not delete " + folder + ": " + e.getMessage());
            }
        }
    }

    /**
     * The harness writes the configuration of Neo4j's log to a {@code log4j-*.xml} of the temporary folder
     * and leaves it there: the one that names {@code folder} is deleted.
     */
    private static void deleteLogConfiguration(Path folder) {
        try (DirectoryStream<Path> configurations = Files.newDirectoryStream(folder.getParent(), "log4j-*.xml")) {
            for (Path configuration : configurations) {
                try {
                    if (Files.size(configuration) < 65536 && Files.readString(configuration).contains(folder.toString())) {
                        Files.deleteIfExists(configuration);
                    }
                } catch (IOException | UncheckedIOException e) {
                    // another's, or gone
                }
            }
        } catch (IOException e) {
            System.err.println("could not look for the log configuration of " + folder + ": " + e.getMessage());
        }
    }
}
