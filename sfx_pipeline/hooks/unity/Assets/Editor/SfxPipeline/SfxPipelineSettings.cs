// Written by `sfx-pipeline hook install unity`. Where the sfx-pipeline CLI is on this machine.
using System.Collections.Generic;
using UnityEditor;
using UnityEngine;

namespace SfxPipeline
{
    /// <summary>
    /// The CLI command or Python interpreter, kept in EditorPrefs (per user and machine, not in
    /// the project) because each teammate installs sfx-pipeline in a different place.
    /// </summary>
    public static class SfxPipelineSettings
    {
        public const string DefaultCommand = "sfx-pipeline";
        public const string PreferencesPath = "Preferences/Sound Effects";
        public const string CommandKey = "SfxPipeline.CliCommand";
        public const string PythonKey = "SfxPipeline.Python";

        /// <summary>The sfx-pipeline executable: a name on PATH or a full path.</summary>
        public static string CliCommand
        {
            get
            {
                string value = EditorPrefs.GetString(CommandKey, DefaultCommand).Trim();
                return value.Length == 0 ? DefaultCommand : value;
            }
            set { EditorPrefs.SetString(CommandKey, value ?? ""); }
        }

        /// <summary>When set, the CLI runs as `python -m sfx_pipeline` with this interpreter.</summary>
        public static string PythonPath
        {
            get { return EditorPrefs.GetString(PythonKey, "").Trim(); }
            set { EditorPrefs.SetString(PythonKey, value ?? ""); }
        }

        [MenuItem("Tools/Sound Effects/Settings…", false, 101)]
        static void OpenSettings()
        {
            SettingsService.OpenUserPreferences(PreferencesPath);
        }

        [SettingsProvider]
        static SettingsProvider CreateProvider()
        {
            var provider = new SettingsProvider(PreferencesPath, SettingsScope.User);
            provider.label = "Sound Effects";
            provider.keywords = new HashSet<string>(new[] { "sfx", "sfx-pipeline", "sound", "audio", "python" });
            provider.guiHandler = searchContext =>
            {
                EditorGUILayout.HelpBox(
                    "sfx-pipeline builds the project's *.sfx.toml sound effects. Install it with " +
                    "`pip install sfx-pipeline`. Unity started from the Hub may not see the PATH of " +
                    "your terminal: then give the full path of the sfx-pipeline executable, or of " +
                    "the Python interpreter it is installed in.", MessageType.Info);
                CliCommand = EditorGUILayout.TextField(
                    new GUIContent("CLI command", "sfx-pipeline, or its full path"), CliCommand);
                PythonPath = EditorGUILayout.TextField(
                    new GUIContent("Python interpreter", "when set, runs `<python> -m sfx_pipeline` instead"),
                    PythonPath);
            };
            return provider;
        }
    }
}
