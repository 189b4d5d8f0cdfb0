package io.towerrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar as an administrator and the Ansible role drive it: check-config, serve --config, SIGTERM. */
class ServeCommandIT {

    private static Process run(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", System.getProperty("towerrelay.jar")));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    private record Result(int code, String out, String err) {}

    private static Result runToEnd(String... args) throws Exception {
        Process p = run(args);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out, err.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void checkConfigAcceptsAGoodFileAndNamesFileLineAndKeyOfABadOne(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("relay.yml");
        Files.writeString(good, String.join("\n",
                "listen:",
                "  address: 127.0.0.1:8443",
                "upstream:",
                "  url: https://tower.internal",
                "  response-timeout: 5m",
                "websocket:",
                "  idle-timeout: 2h",
                "  allowed-origins: [https://tower.example.com]",
                "forwarded:",
                "  trusted-proxies: [10.0.0.0/8]",
                "access-log: json",
                ""));
        Result ok = runToEnd("check-config", good.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("OK");

        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, "upstream:\n  url: http://127.0.0.1:8052\nwebsocket:\n  idle-timout: 1h\n");
        Result typo = runToEnd("check-config", bad.toString());
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err().strip()).startsWith(bad + ":4: websocket.idle-timout: unknown key").doesNotContain("\n")
                .doesNotContain("Exception");

        Files.writeString(bad, "upstream:\n  url: http://127.0.0.1:8052\n  connect-timeout: 10 seconds\n");
        Result duration = runToEnd("check-config", bad.toString());
        assertThat(duration.code()).isEqualTo(2);
        assertThat(duration.err().strip()).isEqualTo(bad + ":3: upstream.connect-timeout: \"10 seconds\" is not a duration (write e.g. 30s, 5m, 1h, 1h30m, 500ms)");

        Files.writeString(bad, "listen:\n  address: 127.0.0.1:8080\n");
        Result missing = runToEnd("check-config", bad.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo(bad + ":1: upstream.url: is required (or list the nodes under upstream.nodes)");

        Result serveBad = runToEnd("serve", "--config", bad.toString());
        assertThat(serveBad.code()).isEqualTo(2);
        assertThat(serveBad.err().strip()).isEqualTo(bad + ":1: upstream.url: is required (or list the nodes under upstream.nodes)");
    }

    @Test
    void sigtermLetsTheInFlightRequestFinishThenExitsZero(@TempDir Path dir) throws Exception {
        try (io.towerrelay.proxy.SlowUpstream upstream = io.towerrelay.proxy.SlowUpstream.start(1500)) {
            Path config = dir.resolve("relay.yml");
            Files.writeString(config, "listen:\n  address: 127.0.0.1:8\nupstream:\n  url: http://127.0.0.1:1\n"
                    + "access-log: off\nshutdown-grace: 20s\n");
            // Flags override the file: the listener and upstream given here win.
            Process relay = run("serve", "--config", config.toString(), "--listen", "127.0.0.1:0",
                    "--upstream", upstream.uri().toString(), "--admin", "off");
            java.io.BufferedReader err = new java.io.BufferedReader(new java.io.InputStreamReader(relay.getErrorStream(), StandardCharsets.UTF_8));
            String line;
            int port = -1;
            while ((line = err.readLine()) != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    break;
                }
            }
            assertThat(port).isPositive();
            HttpClient client = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            upstream.awaitRequest();
            relay.destroy(); // SIGTERM
            HttpResponse<String> response = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("slow done\n");
            assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(relay.exitValue()).isZero();
        }
    }
}
