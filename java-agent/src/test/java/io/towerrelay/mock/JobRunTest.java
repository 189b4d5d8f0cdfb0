package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JobRunTest {

    @Test
    void eventsCountFromOneAndTheirLinesFollowEachOther() {
        JobRun run = new JobRun(7);
        int line = 0;
        for (int i = 1; i <= 100; i++) {
            Map<String, Object> event = run.next();
            assertThat(event.get("counter")).isEqualTo(i);
            assertThat(event.get("job")).isEqualTo(7);
            assertThat(event.get("start_line")).isEqualTo(line);
            String stdout = (String) event.get("stdout");
            line += stdout.split("\r\n", -1).length;
            assertThat(event.get("end_line")).isEqualTo(line);
        }
        assertThat(run.lastCounter()).isEqualTo(100);
    }

    @Test
    void outputReadsLikeAnAnsiblePlaybook() {
        JobRun run = new JobRun(1);
        assertThat((String) run.next().get("stdout")).isEqualTo("\r\nPLAY [Deploy web tier] " + "*".repeat(57));
        Map<String, Object> task = run.next();
        assertThat(task.get("event")).isEqualTo("playbook_on_task_start");
        assertThat((String) task.get("stdout")).startsWith("\r\nTASK [Gathering Facts] ***");
        assertThat(run.next().get("stdout")).isEqualTo("ok: [web1]");
    }
}
