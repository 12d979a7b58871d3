// Written by `sfx-pipeline hook install unity`. Builds the sound effects before every player build.
using UnityEditor;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;

namespace SfxPipeline
{
    class SfxPipelineBuildHook : IPreprocessBuildWithReport
    {
        public int callbackOrder { get { return 0; } }

        public void OnPreprocessBuild(BuildReport report)
        {
            // Synchronous on purpose: the player build must wait for the sounds.
            BuildResult result = SfxPipelineCli.Run(Invocation.FromSettings());
            result.Log();
            if (!result.Succeeded)
            {
                // Stop the build rather than ship stale or missing sounds.
                throw new BuildFailedException(
                    "sfx-pipeline could not build the sound effects:\n" + string.Join("\n", result.Errors().ToArray()));
            }
            AssetDatabase.Refresh();
        }
    }
}
