package dev.specserve.controller.server;

import java.util.List;
import java.util.Map;

/**
 * Operator actions on the drafter and its adaptation loop, behind the admin token (HTTP and event bus).
 * Invalid arguments (unknown ids, missing or incompatible files) throw IllegalArgumentException naming the problem.
 */
public interface AdminActions {
    List<Map<String, Object>> versions();

    /** Makes an earlier or newer version current. */
    Map<String, Object> swap(long versionId);

    Map<String, Object> rollback();

    /**
     * Loads a new drafter ONNX file (full drafter swap): validated and warmed up while serving continues, then
     * made current between rounds if {@code activate}. The API passes only a real path inside model_roots whose
     * {@code sha256} it has checked (see {@link ModelRoots}).
     */
    Map<String, Object> load(String path, String sha256, boolean activate);

    Map<String, Object> pause();

    Map<String, Object> resume();
}
