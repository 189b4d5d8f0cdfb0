package io.towerrelay.mock;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The output of one running job as a sequence of AWX job events: a play, then tasks that each report
 * on every host, round after round for as long as someone watches. {@code counter} starts at 1 and
 * grows by one per event; {@code start_line}/{@code end_line} count stdout lines like AWX does.
 */
final class JobRun {

    static final String PLAYBOOK = "deploy.yml";
    static final String PLAY = "Deploy web tier";
    private static final List<String> HOSTS = List.of("web1", "web2", "db1");
    private static final List<String> TASKS = List.of(
            "Gathering Facts", "Install packages", "Render nginx config", "Restart nginx", "Check service health");
    private static final int STDOUT_WIDTH = 80;

    private final int jobId;
    private int counter;
    private int line;
    /** Position in the playbook: -1 = play start, then (task, host) steps with host -1 = the task header. */
    private int task = -1;
    private int host = HOSTS.size() - 1;

    JobRun(int jobId) {
        this.jobId = jobId;
    }

    /** An independent run that continues from where this one is. */
    JobRun copy() {
        JobRun copy = new JobRun(jobId);
        copy.counter = counter;
        copy.line = line;
        copy.task = task;
        copy.host = host;
        return copy;
    }

    int jobId() {
        return jobId;
    }

    int lastCounter() {
        return counter;
    }

    /** The next event, as the JSON object a subscriber of {@code job_events-<id>} receives. */
    Map<String, Object> next() {
        counter++;
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("group_name", "job_events");
        event.put("type", "job_event");
        event.put("job", jobId);
        event.put("counter", counter);
        String stdout;
        if (counter == 1) {
            event.put("event", "playbook_on_play_start");
            event.put("play", PLAY);
            stdout = "\r\n" + banner("PLAY [" + PLAY + "]");
        } else {
            host++;
            if (host == HOSTS.size()) {
                host = -1;
                task = (task + 1) % TASKS.size();
            }
            String taskName = TASKS.get(task);
            event.put("play", PLAY);
            event.put("task", taskName);
            if (host == -1) {
                event.put("event", "playbook_on_task_start");
                stdout = "\r\n" + banner("TASK [" + taskName + "]");
            } else {
                String hostName = HOSTS.get(host);
                boolean changed = task == 2 || task == 3; // config and restart report changes, like a real deploy
                event.put("event", "runner_on_ok");
                event.put("host_name", hostName);
                event.put("changed", changed);
                stdout = (changed ? "changed: [" : "ok: [") + hostName + "]";
            }
        }
        event.put("failed", false);
        event.put("playbook", PLAYBOOK);
        event.put("uuid", UUID.randomUUID().toString());
        event.put("created", Instant.now().toString());
        event.put("stdout", stdout);
        int lines = stdout.split("\r\n", -1).length;
        event.put("start_line", line);
        line += lines;
        event.put("end_line", line);
        return event;
    }

    /** Ansible pads play and task banners with '*' to the terminal width. */
    private static String banner(String title) {
        return title + " " + "*".repeat(Math.max(3, STDOUT_WIDTH - title.length() - 1));
    }
}
