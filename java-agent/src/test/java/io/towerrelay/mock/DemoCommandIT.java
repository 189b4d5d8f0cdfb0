package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.HeadlessChromium;
import io.towerrelay.testsupport.JarProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/** {@code java -jar tower-relay.jar demo} as a newcomer runs it (on free ports instead of 8080/8052/9180). */
class DemoCommandIT {

    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void servesThePageAndLiveEventsThroughTheRelayAndStopsCleanlyOnSigterm() throws Exception {
        try (JarProcess demo = JarProcess.start("demo", "--listen", "127.0.0.1:0", "--tower", "127.0.0.1:0",
                "--admin", "127.0.0.1:0", "--event-interval-ms", "50")) {
            String hostAndPort = demo.awaitStdout(
                    "^Open http://(\\S+)/ to watch live job events through tower-relay$", START).group(1);
            TowerTestClient browser = new TowerTestClient(hostAndPort);
            HttpResponse<String> page = browser.get("/");
            LiveEventsTestSocket socket = LiveEventsTestSocket.open(
                    URI.create("ws://" + hostAndPort + "/websocket/"), browser.cookieHeader());
            socket.next();
            socket.send(browser.subscription(browser.cookie("csrftoken"), List.of("1")));
            int counter = socket.nextWhere(m -> m.path("counter").asInt() >= 10).get("counter").asInt();

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Demo Job Template");
            assertThat(counter).isEqualTo(10);

            assertThat(demo.terminate(Duration.ofSeconds(30))).as("exit code after SIGTERM").isEqualTo(0);
            await().atMost(Duration.ofSeconds(20)).until(() -> !socket.isOpen());
            int port = URI.create("http://" + hostAndPort).getPort();
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aBrowserOpeningThePrintedUrlWatchesEventsScroll() throws Exception {
        try (JarProcess demo = JarProcess.start("demo", "--listen", "127.0.0.1:0", "--tower", "127.0.0.1:0",
                        "--admin", "off", "--event-interval-ms", "100");
                HeadlessChromium chromium = HeadlessChromium.start()) {
            String url = demo.awaitStdout("^Open (http://\\S+/) to watch live job events through tower-relay$", START).group(1);
            WebDriver driver = chromium.driver();
            driver.get(url);

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElements(By.cssSelector("#stdout .event")).size() >= 10);
            assertThat(driver.findElement(By.id("live-text")).getText()).isEqualTo("Live events connected");
            assertThat(driver.findElement(By.id("ws-error")).isDisplayed()).isFalse();
            chromium.screenshot("demo");
            assertThat(demo.terminate(Duration.ofSeconds(30))).isEqualTo(0);
        }
    }

    @Test
    void busyRelayPortIsOneLineAndExitCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                JarProcess demo = JarProcess.start("demo", "--listen", "127.0.0.1:" + taken.getLocalPort(),
                        "--tower", "127.0.0.1:0", "--admin", "off")) {
            assertThat(demo.waitFor(START)).isEqualTo(2);
            assertThat(demo.stdout()).isEmpty();
            assertThat(demo.stderr()).filteredOn(l -> l.startsWith("tower-relay: "))
                    .singleElement().asString().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void busyTowerPortIsOneLineAndExitCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                JarProcess demo = JarProcess.start("demo", "--listen", "127.0.0.1:0",
                        "--tower", "127.0.0.1:" + taken.getLocalPort(), "--admin", "off")) {
            assertThat(demo.waitFor(START)).isEqualTo(2);
            assertThat(demo.stderr()).containsExactly("tower-relay: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " for the mock Tower (--tower): address already in use"
                    + " (another process has the port? choose another with the flags, see --help)");
        }
    }
}
