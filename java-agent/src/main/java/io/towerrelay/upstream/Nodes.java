package io.towerrelay.upstream;

import io.towerrelay.config.UpstreamConfig;
import io.towerrelay.config.UpstreamNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

/**
 * The Tower web nodes and which one gets the next request or tunnel: HTTP requests go to the available node (up,
 * not draining) with the fewest requests in flight, WebSocket handshakes to the one with the fewest open tunnels;
 * ties go round-robin, so an idle cluster still spreads its load.
 * <p>
 * With several nodes and none available the choice is empty and the caller answers 502 saying every node is
 * down. A single node is never refused for its health state (as NGINX does with one server): the relay then
 * behaves as it did before health checks, and a Tower that comes back is used at once.
 * <p>
 * A reload ({@link #update}) swaps the list at once: a removed node gets nothing new, while the requests and tunnels
 * it has keep their {@link Node} until they end; a node that stays keeps its state and counters.
 */
public final class Nodes {
    /** Read once per choice; replaced whole by {@link #update}. */
    private volatile List<Node> nodes;
    private final AtomicInteger turn = new AtomicInteger();

    public Nodes(List<Node> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no upstream node");
        }
        this.nodes = List.copyOf(nodes);
        if (nodes.size() == 1) {
            nodes.get(0).upOnAnswer(true);
        }
    }

    /**
     * Takes over the node list of a reloaded config: nodes are matched by host:port; a kept node takes the new drain
     * setting and health-check thresholds, a new one starts as the nodes at start did (up until checked).
     */
    public synchronized void update(UpstreamConfig config) {
        if (config.nodes().isEmpty()) {
            throw new IllegalArgumentException("no upstream node");
        }
        Map<String, Node> current = new HashMap<>();
        for (Node node : nodes) {
            current.put(node.name(), node);
        }
        int fall = config.healthCheck().fall();
        int rise = config.healthCheck().rise();
        List<Node> next = new ArrayList<>();
        for (UpstreamNode wanted : config.nodes()) {
            Node node = current.get(UpstreamConfig.authority(wanted.url()));
            if (node == null) {
                node = new Node(wanted, fall, rise);
            } else {
                node.reconfigure(wanted.drain(), fall, rise);
            }
            node.upOnAnswer(config.nodes().size() == 1);
            next.add(node);
        }
        nodes = List.copyOf(next);
    }

    public static Nodes of(UpstreamConfig config) {
        List<Node> list = new ArrayList<>();
        for (UpstreamNode node : config.nodes()) {
            list.add(new Node(node, config.healthCheck().fall(), config.healthCheck().rise()));
        }
        return new Nodes(list);
    }

    public List<Node> all() {
        return nodes;
    }

    /**
     * The node for an HTTP request, or null when none can take it. {@code avoid} (the node a retried request just
     * failed on, or null) is chosen only when no other node is available.
     */
    public Node forRequest(Node avoid) {
        return choose(avoid, Node::inFlight);
    }

    /** The node for a WebSocket handshake, or null when none can take it; {@code avoid} as in {@link #forRequest}. */
    public Node forTunnel(Node avoid) {
        return choose(avoid, Node::openTunnels);
    }

    private Node choose(Node avoid, ToIntFunction<Node> load) {
        List<Node> nodes = this.nodes;
        int n = nodes.size();
        if (n == 1) {
            return nodes.get(0); // see the class comment; draining alone is refused at config time
        }
        int start = Math.floorMod(turn.getAndIncrement(), n);
        Node best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            Node node = nodes.get((start + i) % n);
            if (node == avoid || !node.available()) {
                continue;
            }
            int l = load.applyAsInt(node);
            if (l < bestLoad) {
                best = node;
                bestLoad = l;
            }
        }
        if (best == null && avoid != null && avoid.available()) {
            return avoid;
        }
        return best;
    }

    /** True when at least one node can take new requests (what /healthz answers 200 for). */
    public boolean anyAvailable() {
        return nodes.stream().anyMatch(Node::available);
    }

    /** For the 502 when no node can take a request: every node, its state and why. */
    public String noneAvailable() {
        return "every upstream node is down or draining: " + all().stream()
                .map(node -> node.name() + " " + node.state() + (node.up() ? "" : " (" + node.reason() + ")"))
                .collect(Collectors.joining("; "));
    }
}
