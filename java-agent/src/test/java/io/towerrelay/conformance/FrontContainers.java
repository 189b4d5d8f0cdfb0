package io.towerrelay.conformance;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * Containers from the local test image, one per front proxy, on the host network: each proxy listens on
 * 127.0.0.1:port of this machine and reaches the mock Tower on this machine's loopback. No bridge
 * address is ever used. NGINX and Apache run with Debian's stock configuration plus the file under test,
 * where the roles put it, as a user's server would.
 */
final class FrontContainers {

    private static final Duration STARTUP = Duration.ofSeconds(90);

    private FrontContainers() {}

    /** The NGINX and Apache versions in the image, as the roles read them (`nginx -v`, `apachectl -v`). */
    record ServerVersions(String nginx, String apache) {}

    static ServerVersions serverVersions(String image) {
        try (GenericContainer<?> probe = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("none")
                .withCommand("sh", "-c", "nginx -v 2>&1; apache2ctl -v")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(STARTUP))) {
            probe.start();
            String output = probe.getLogs();
            return new ServerVersions(version(output, "nginx/([0-9.]+)"), version(output, "Apache/([0-9.]+)"));
        }
    }

    private static String version(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in the test image's version output:\n" + output);
        }
        return m.group(1);
    }

    /** The test certificate and key where the roles' defaults look for them (nginx_tls_cert, apache_tls_cert...). */
    static GenericContainer<?> withTowerCertificate(GenericContainer<?> container, Path certPem, Path keyPem)
            throws IOException {
        return container
                .withCopyToContainer(Transferable.of(Files.readAllBytes(certPem), 0644), "/etc/ssl/certs/tower.crt")
                .withCopyToContainer(Transferable.of(Files.readAllBytes(keyPem), 0600), "/etc/ssl/private/tower.key");
    }

    private static GenericContainer<?> onHostNetwork(String image, int port) {
        return new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .waitingFor(new LoopbackPortWait(port).withStartupTimeout(STARTUP));
    }

    /** The relay from the built jar, bind-mounted read-only, on the image's headless JRE. */
    static GenericContainer<?> relay(String image, Path jar, int port, int adminPort, String upstream) {
        return onHostNetwork(image, port)
                // A plain bind on the create command: withFileSystemBind would first probe file mounting
                // with a helper image from Docker Hub, and there is no registry here.
                .withCreateContainerCmdModifier(create -> create.getHostConfig().withBinds(
                        new Bind(jar.toString(), new Volume("/opt/tower-relay/tower-relay.jar"), AccessMode.ro)))
                .withCommand("java", "-jar", "/opt/tower-relay/tower-relay.jar", "serve",
                        "--listen", "127.0.0.1:" + port,
                        "--upstream", "http://" + upstream,
                        "--admin", "127.0.0.1:" + adminPort);
    }

    /** Debian's nginx with the server block in conf.d (where role `nginx` renders it). */
    static GenericContainer<?> nginx(String image, String serverBlock, int port) {
        String script = String.join("\n",
                "set -e",
                // The role removes Debian's default site (port 80, which is not ours on the host network).
                "rm -f /etc/nginx/sites-enabled/default",
                "ln -sf /dev/stderr /var/log/nginx/error.log",
                "ln -sf /dev/stdout /var/log/nginx/access.log",
                "nginx -t",
                "exec nginx -g 'daemon off;'");
        return onHostNetwork(image, port)
                .withCopyToContainer(Transferable.of(serverBlock), "/etc/nginx/conf.d/tower.conf")
                .withCommand("sh", "-c", script);
    }

    /**
     * Debian's apache2 with the vhost as a site (where role `apache` renders it) and the modules it
     * needs. ports.conf is emptied: it listens on port 80 of the host; each vhost file brings its Listen.
     */
    static GenericContainer<?> apache(String image, String vhost, int port, List<String> modules) {
        String script = String.join("\n",
                "set -e",
                "a2enmod -q " + String.join(" ", modules),
                "a2dissite -q 000-default",
                ": > /etc/apache2/ports.conf",
                "a2ensite -q tower",
                "ln -sf /dev/stderr /var/log/apache2/error.log",
                "ln -sf /dev/stdout /var/log/apache2/access.log",
                "ln -sf /dev/stdout /var/log/apache2/other_vhosts_access.log",
                "apache2ctl configtest",
                "exec apache2ctl -D FOREGROUND");
        return onHostNetwork(image, port)
                .withCopyToContainer(Transferable.of(vhost), "/etc/apache2/sites-available/tower.conf")
                .withCommand("sh", "-c", script);
    }
}
