// Written by `sfx-pipeline hook install unity`. Tools > Sound Effects > Build.
using System.Threading.Tasks;
using UnityEditor;
using UnityEngine;

namespace SfxPipeline
{
    static class SfxPipelineMenu
    {
        static Task<BuildResult> running;

        [MenuItem("Tools/Sound Effects/Build", false, 100)]
        static void Build()
        {
            // Settings and paths are read here, on the main thread; the CLI runs on a worker so
            // the editor stays responsive during a long AudioGen build.
            Invocation invocation = Invocation.FromSettings();
            Debug.Log("sfx-pipeline: building sound effects: " + invocation);
            // A script reload while the build runs would lose its result (and the Refresh after it).
            EditorApplication.LockReloadAssemblies();
            running = Task.Run(() => SfxPipelineCli.Run(invocation));
            EditorApplication.update += Poll;
        }

        [MenuItem("Tools/Sound Effects/Build", true)]
        static bool CanBuild()
        {
            return running == null;
        }

        static void Poll()
        {
            if (running == null || !running.IsCompleted) return;
            EditorApplication.update -= Poll;
            Task<BuildResult> done = running;
            running = null;
            EditorApplication.UnlockReloadAssemblies();
            if (done.IsFaulted)
            {
                Debug.LogException(done.Exception);
                EditorUtility.DisplayDialog("Sound effects: build failed", done.Exception.GetBaseException().Message, "OK");
                return;
            }
            BuildResult result = done.Result;
            result.Log();
            string title = result.Succeeded ? "Sound effects built" : "Sound effects: build failed";
            EditorUtility.DisplayDialog(title, result.Summary(), "OK");
            // Imports the new and replaced WAVs now rather than at the next focus change.
            AssetDatabase.Refresh();
        }
    }
}
