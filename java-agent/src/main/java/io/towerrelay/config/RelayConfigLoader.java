package io.towerrelay.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads the relay's YAML config. Every key is optional except {@code upstream.url}; unknown keys, bad values and
 * missing files are {@link ConfigException}s naming file, line and key. docs/configuration.md
 * documents the same keys and defaults as this class.
 */
public final class RelayConfigLoader {
    private RelayConfigLoader() {}

    /** Loads a complete config; {@code upstream.url} is required. */
    public static RelayConfig load(Path file) {
        return load(file, true);
    }

    /**
     * Loads a config whose {@code upstream.url} may be missing because the command line gives it
     * ({@code serve --config FILE --upstream URL}).
     */
    public static RelayConfig loadWithoutUpstream(Path file) {
        return load(file, false);
    }

    private static RelayConfig load(Path file, boolean requireUpstream) {
        String text;
        try {
            text = utf8(file, Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, 0, "(file)", "no such file");
        } catch (IOException e) {
            throw new ConfigException(file, 0, "(file)", "cannot read: " + e.getMessage());
        }
        try (Reader reader = new java.io.StringReader(text)) {
            YamlNode root = new YamlTreeReader(file).read(reader);
            if (!(root instanceof YamlNode.Mapping mapping)) {
                throw new ConfigException(file, root.line(), "(document)", "expected a mapping of keys, got " + root.kind());
            }
            return bind(new ConfigSection(file, "", mapping), file, requireUpstream);
        } catch (IOException e) {
            throw new ConfigException(file, 0, "(file)", "cannot read: " + e.getMessage());
        }
    }

    private static RelayConfig bind(ConfigSection root, Path file, boolean requireUpstream) {
        Path base = file.toAbsolutePath().getParent();
        Function<String, Path> readableFile = s -> existingFile(base, s);

        ConfigSection listenSection = root.section("listen");
        InetSocketAddress listenAddress = listenSection.value("address", Addresses::parse, ListenConfig.DEFAULT_ADDRESS);
        TlsFiles tls = null;
        if (listenSection.has("tls")) {
            ConfigSection tlsSection = listenSection.section("tls");
            tls = new TlsFiles(tlsSection.required("certificate", readableFile), tlsSection.required("key", readableFile));
            tlsSection.rejectUnknownKeys();
        } else {
            listenSection.section("tls").rejectUnknownKeys();
        }
        boolean proxyProtocol = listenSection.value("proxy-protocol", RelayConfigLoader::bool, false);
        // HTTP/2 needs ALPN, so TLS; a plain listener ignores it (h2c upgrades are refused, never offered).
        boolean http2 = listenSection.value("http2", RelayConfigLoader::bool, true);
        listenSection.rejectUnknownKeys();

        ConfigSection adminSection = root.section("admin");
        InetSocketAddress adminAddress = adminSection.value("address",
                s -> s.trim().equalsIgnoreCase("off") ? null : Addresses.parse(s), AdminConfig.DEFAULT_ADDRESS);
        adminSection.rejectUnknownKeys();

        ConfigSection up = root.section("upstream");
        List<UpstreamNode> nodes = nodes(up);
        if (requireUpstream && nodes.isEmpty()) {
            throw up.error("url", "is required (or list the nodes under upstream.nodes)");
        }
        boolean https = !nodes.isEmpty() && "https".equalsIgnoreCase(nodes.get(0).url().getScheme());
        boolean verify = up.value("tls-verify", RelayConfigLoader::bool, true);
        Path caFile = up.value("ca-file", readableFile, null);
        if (caFile != null && !verify) {
            throw up.error("ca-file", "is set but tls-verify is false; remove one of them");
        }
        if (caFile != null && !nodes.isEmpty() && !https) {
            throw up.error("ca-file", "is set but the upstream is not https");
        }
        ConfigSection check = up.section("health-check");
        HealthCheckConfig healthCheck = new HealthCheckConfig(
                check.value("path", RelayConfigLoader::pathPrefix, HealthCheckConfig.DEFAULT_PATH),
                check.value("interval", Durations::parse, HealthCheckConfig.DEFAULT_INTERVAL),
                check.value("timeout", Durations::parse, HealthCheckConfig.DEFAULT_TIMEOUT),
                check.value("fall", s -> integer(s, 1, 100), HealthCheckConfig.DEFAULT_FALL),
                check.value("rise", s -> integer(s, 1, 100), HealthCheckConfig.DEFAULT_RISE));
        check.rejectUnknownKeys();
        UpstreamConfig upstream = new UpstreamConfig(nodes, verify, caFile,
                up.value("connect-timeout", Durations::parse, UpstreamConfig.DEFAULT_CONNECT_TIMEOUT),
                up.value("response-timeout", Durations::parse, UpstreamConfig.DEFAULT_RESPONSE_TIMEOUT),
                up.value("pool-size", s -> integer(s, 1, 100_000), UpstreamConfig.DEFAULT_POOL_SIZE),
                healthCheck);
        up.rejectUnknownKeys();

        ConfigSection ws = root.section("websocket");
        WebSocketConfig websocket = new WebSocketConfig(
                ws.value("idle-timeout", Durations::parse, WebSocketConfig.DEFAULT_IDLE_TIMEOUT),
                ws.value("handshake-timeout", Durations::parse, WebSocketConfig.DEFAULT_HANDSHAKE_TIMEOUT),
                new LinkedHashSet<>(ws.list("allowed-origins", RelayConfigLoader::origin, List.of())),
                ws.list("blocked-paths", RelayConfigLoader::pathPrefix, WebSocketConfig.DEFAULT_BLOCKED_PATHS));
        ws.rejectUnknownKeys();

        ConfigSection fwd = root.section("forwarded");
        ForwardedConfig forwarded = new ForwardedConfig(fwd.list("trusted-proxies", Cidr::parse, List.of()));
        fwd.rejectUnknownKeys();
        if (proxyProtocol && forwarded.trustedProxies().isEmpty()) {
            throw listenSection.error("proxy-protocol", "is true but forwarded.trusted-proxies is empty: list the "
                    + "load balancers' addresses there (only they may send a PROXY header)");
        }

        ConfigSection lim = root.section("limits");
        LimitsConfig limits = new LimitsConfig(
                lim.value("max-request-line-bytes", s -> integer(s, 256, 1 << 20), LimitsConfig.DEFAULT_MAX_REQUEST_LINE_BYTES),
                lim.value("max-header-bytes", s -> integer(s, 1024, 1 << 20), LimitsConfig.DEFAULT_MAX_HEADER_BYTES),
                lim.value("max-connections", s -> integer(s, 1, 1_000_000), LimitsConfig.DEFAULT_MAX_CONNECTIONS),
                lim.value("client-idle-timeout", Durations::parse, LimitsConfig.DEFAULT_CLIENT_IDLE_TIMEOUT),
                lim.value("header-timeout", Durations::parse, LimitsConfig.DEFAULT_HEADER_TIMEOUT));
        lim.rejectUnknownKeys();

        AccessLogFormat accessLog = root.value("access-log", AccessLogFormat::parse, AccessLogFormat.COMBINED);
        var grace = root.value("shutdown-grace", Durations::parse, RelayConfig.DEFAULT_SHUTDOWN_GRACE);
        int ioThreads = root.value("io-threads", RelayConfigLoader::ioThreads, RelayConfig.AUTO_IO_THREADS);
        root.rejectUnknownKeys();

        return new RelayConfig(new ListenConfig(listenAddress, tls, proxyProtocol, http2), new AdminConfig(adminAddress), upstream,
                websocket, forwarded, limits, accessLog, grace, ioThreads);
    }

    /**
     * {@code upstream.url} (one node) or {@code upstream.nodes} (a list of URLs, or of {@code {url, drain}}
     * mappings), never both; all nodes on one scheme, none twice, not all draining.
     */
    private static List<UpstreamNode> nodes(ConfigSection up) {
        URI url = up.value("url", RelayConfigLoader::upstreamUrl, null);
        List<ConfigSection.Item<UpstreamNode>> listed = up.mixedList("nodes",
                s -> UpstreamNode.of(upstreamUrl(s)),
                item -> {
                    UpstreamNode node = new UpstreamNode(item.required("url", RelayConfigLoader::upstreamUrl),
                            item.value("drain", RelayConfigLoader::bool, false));
                    item.rejectUnknownKeys();
                    return node;
                });
        if (url != null && up.has("nodes")) {
            throw up.error("nodes", "cannot be used together with upstream.url (line " + up.lineOf("url")
                    + "): list every node under upstream.nodes, or give only upstream.url");
        }
        if (url != null) {
            return List.of(UpstreamNode.of(url));
        }
        if (up.has("nodes") && listed.isEmpty()) {
            throw up.error("nodes", "is empty: list at least one node URL");
        }
        List<UpstreamNode> nodes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < listed.size(); i++) {
            ConfigSection.Item<UpstreamNode> item = listed.get(i);
            URI nodeUrl = item.value().url();
            URI first = listed.get(0).value().url();
            if (!nodeUrl.getScheme().equalsIgnoreCase(first.getScheme())) {
                throw up.errorAt(item.line(), "nodes[" + i + "]", "is " + nodeUrl.getScheme().toLowerCase(Locale.ROOT)
                        + " but upstream.nodes[0] is " + first.getScheme().toLowerCase(Locale.ROOT)
                        + ": every node must use the same scheme");
            }
            if (!seen.add(UpstreamConfig.authority(nodeUrl))) {
                throw up.errorAt(item.line(), "nodes[" + i + "]", UpstreamConfig.authority(nodeUrl) + " is listed twice");
            }
            nodes.add(item.value());
        }
        if (!nodes.isEmpty() && nodes.stream().allMatch(UpstreamNode::drain)) {
            throw up.error("nodes", "every node has drain: true; at least one must take traffic");
        }
        return nodes;
    }

    /** The file's text; bytes that are not UTF-8 are an error naming their line (not "Input length = 1"). */
    private static String utf8(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            int line = 1 + lineBreaks(out.flip());
            throw new ConfigException(file, line, "(file)", String.format(
                    "not UTF-8 text: byte 0x%02X at offset %d (save the file as UTF-8)", bytes[at] & 0xff, at));
        }
        return out.flip().toString();
    }

    /** Line breaks as YAML (and so the parser's line numbers) counts them: LF, CR LF, a lone CR, NEL, LS, PS. */
    private static int lineBreaks(CharSequence text) {
        int breaks = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029'
                    || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                breaks++;
            }
        }
        return breaks;
    }

    /** Parses and checks an upstream URL the way {@code --upstream} and {@code upstream.url} need it. */
    public static URI upstreamUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a URL: " + e.getReason());
        }
        UpstreamConfig.checkUrl(uri);
        return uri;
    }

    private static boolean bool(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": return true;
            case "false": case "no": case "off": return false;
            default: throw new IllegalArgumentException("\"" + s + "\" is not true or false");
        }
    }

    /** {@code auto} (one per core) or a count of threads. */
    private static int ioThreads(String s) {
        return s.trim().equals("auto") ? RelayConfig.AUTO_IO_THREADS : integer(s, 1, RelayConfig.MAX_IO_THREADS);
    }

    private static int integer(String s, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + s + "\" is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(n + " is out of range " + min + "-" + max);
        }
        return n;
    }

    /** An Origin as browsers send it: scheme://host[:port], no path. */
    private static String origin(String s) {
        String t = s.trim();
        URI uri;
        try {
            uri = new URI(t);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + s + "\" is not an origin (e.g. https://tower.example.com)");
        }
        if (uri.getScheme() == null || uri.getHost() == null
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
            throw new IllegalArgumentException("\"" + s + "\" is not an origin (scheme://host[:port], no path, e.g. https://tower.example.com)");
        }
        return t.toLowerCase(Locale.ROOT);
    }

    private static String pathPrefix(String s) {
        if (!s.startsWith("/")) {
            throw new IllegalArgumentException("\"" + s + "\" must start with /");
        }
        return s;
    }

    private static Path existingFile(Path base, String s) {
        Path p = base == null ? Path.of(s) : base.resolve(s);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no such file: " + p);
        }
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException("cannot read " + p + " (permissions?)");
        }
        return p;
    }
}
