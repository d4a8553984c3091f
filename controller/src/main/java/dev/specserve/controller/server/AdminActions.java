package dev.specserve.controller.server;

import java.util.List;
import java.util.Map;

/** Operator actions on the drafter and its adaptation loop, behind the admin token (HTTP and event bus). */
public interface AdminActions {
    List<Map<String, Object>> versions();

    /** Makes an earlier or newer version current; unknown ids throw IllegalArgumentException. */
    Map<String, Object> swap(long versionId);

    Map<String, Object> rollback();

    Map<String, Object> pause();

    Map<String, Object> resume();
}
