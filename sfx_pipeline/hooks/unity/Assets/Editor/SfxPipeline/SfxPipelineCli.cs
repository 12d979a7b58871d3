// Written by `sfx-pipeline hook install unity`. Runs `sfx-pipeline build --json` and reads its answer.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using UnityEngine;
using Debug = UnityEngine.Debug;

namespace SfxPipeline
{
    // The JSON document of `sfx-pipeline build --json`. JsonUtility fills fields by name and
    // reads arrays of strings or of [Serializable] classes as fields, but no dictionaries, so
    // "counts" is a class. A fatal error is {"error", "hint"}: the same class reads both.
    [Serializable]
    public class BuildCounts
    {
        public int generated, reused, installed, failed, fresh, kept, pruned, orphans, errors, placeholders;
    }

    [Serializable]
    public class BuildAsset
    {
        public string output, outcome, name, backend, message;
        public string[] reasons;
        public bool placeholder;
    }

    [Serializable]
    public class BuildProblem
    {
        public string file, key, message, hint;
        public int line, column; // 0: unknown (the CLI writes null)
    }

    [Serializable]
    public class BuildDocument
    {
        public BuildCounts counts;
        public float seconds;
        public BuildAsset[] assets;
        public BuildProblem[] problems;
        public string[] messages;
        public int exit_code;
        public string error, hint;
    }

    /// <summary>What to run. Built on the main thread: EditorPrefs and Application.dataPath
    /// may not be touched from another thread.</summary>
    public class Invocation
    {
        public string FileName, Arguments, ProjectRoot;

        public static Invocation FromSettings()
        {
            string root = Directory.GetParent(Application.dataPath).FullName;
            string tail = "build --project " + SfxPipelineCli.Quote(root) + " --json";
            string python = SfxPipelineSettings.PythonPath;
            if (python.Length > 0)
                return new Invocation { FileName = python, Arguments = "-m sfx_pipeline " + tail, ProjectRoot = root };
            return new Invocation { FileName = SfxPipelineSettings.CliCommand, Arguments = tail, ProjectRoot = root };
        }

        public override string ToString() { return FileName + " " + Arguments; }
    }

    public class BuildResult
    {
        public int ExitCode;
        public BuildDocument Document; // null when the CLI gave no JSON
        public string Failure;         // why there is no document to show
        public string Stderr = "";
        const int MaxErrorsShown = 8;

        public bool Succeeded
        {
            get { return Failure == null && ExitCode == 0 && string.IsNullOrEmpty(Document.error); }
        }

        /// <summary>One message per thing that went wrong, each with its fix where the CLI gave one.</summary>
        public List<string> Errors()
        {
            var errors = new List<string>();
            if (Failure != null) { errors.Add(Failure); return errors; }
            if (!string.IsNullOrEmpty(Document.error)) { errors.Add(WithHint(Document.error, Document.hint)); return errors; }
            foreach (BuildProblem p in Document.problems ?? new BuildProblem[0])
            {
                string where = p.file + (p.line > 0 ? ":" + p.line : "");
                string key = string.IsNullOrEmpty(p.key) ? "" : p.key + ": ";
                errors.Add(WithHint(where + ": " + key + p.message, p.hint));
            }
            foreach (BuildAsset a in Document.assets ?? new BuildAsset[0])
                if (a.outcome == "failed") errors.Add(a.output + ": build failed: " + a.message);
            // 2: built, but outputs edited by hand or orphaned remain (kept/orphan): not a failure.
            if (errors.Count == 0 && ExitCode != 0 && ExitCode != 2)
                errors.Add("sfx-pipeline exited with code " + ExitCode + "\n" + Tail(Stderr));
            return errors;
        }

        /// <summary>The counts, as one line (plus a note on placeholders).</summary>
        public string CountsLine()
        {
            BuildCounts c = Document.counts ?? new BuildCounts();
            var text = new StringBuilder();
            text.AppendFormat("{0} installed ({1} generated, {2} from cache), {3} fresh",
                c.installed, c.generated, c.reused, c.fresh);
            if (c.kept > 0) text.AppendFormat(", {0} kept (edited by hand; `sfx-pipeline build --force` replaces them)", c.kept);
            if (c.pruned > 0) text.AppendFormat(", {0} pruned", c.pruned);
            if (c.orphans > 0) text.AppendFormat(", {0} orphans", c.orphans);
            if (c.failed > 0) text.AppendFormat(", {0} failed", c.failed);
            if (c.errors > 0) text.AppendFormat(", {0} errors", c.errors);
            text.AppendFormat(" in {0:0.0} s.", Document.seconds);
            if (c.placeholders > 0)
                text.AppendFormat("\n{0} sounds are procedural placeholders until a build runs where AudioGen loads.", c.placeholders);
            return text.ToString();
        }

        /// <summary>The dialog text: the counts, then the first errors.</summary>
        public string Summary()
        {
            List<string> errors = Errors();
            if (Failure != null || !string.IsNullOrEmpty(Document.error)) return errors[0];
            var text = new StringBuilder(CountsLine());
            for (int i = 0; i < errors.Count && i < MaxErrorsShown; i++) text.Append("\n\n").Append(errors[i]);
            if (errors.Count > MaxErrorsShown)
                text.AppendFormat("\n\n… and {0} more in the Console.", errors.Count - MaxErrorsShown);
            return text.ToString();
        }

        /// <summary>Each error as its own Console entry (clickable, searchable), then the counts.</summary>
        public void Log()
        {
            foreach (string error in Errors()) Debug.LogError("sfx-pipeline: " + error);
            if (Failure == null && string.IsNullOrEmpty(Document.error)) Debug.Log("sfx-pipeline: " + CountsLine());
        }

        static string WithHint(string message, string hint)
        {
            return string.IsNullOrEmpty(hint) ? message : message + "\n  fix: " + hint;
        }

        internal static string Tail(string text)
        {
            text = (text ?? "").Trim();
            return text.Length <= 1500 ? text : "…" + text.Substring(text.Length - 1500);
        }
    }

    public static class SfxPipelineCli
    {
        // JsonUtility cannot put null into an int; a problem's line and column are null when unknown.
        static readonly Regex NullNumber = new Regex("\"(line|column)\"\\s*:\\s*null");

        /// <summary>Runs the CLI and waits for it. Safe on any thread; never throws for a CLI
        /// that is missing or misbehaves: that is reported in BuildResult.Failure.</summary>
        public static BuildResult Run(Invocation invocation)
        {
            var start = new ProcessStartInfo(invocation.FileName, invocation.Arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
                WorkingDirectory = invocation.ProjectRoot,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            start.EnvironmentVariables["PYTHONIOENCODING"] = "utf-8";
            try
            {
                using (Process process = Process.Start(start))
                {
                    // stderr is read concurrently: a full pipe would otherwise stall the CLI.
                    var stderr = process.StandardError.ReadToEndAsync();
                    string stdout = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    return Parse(invocation, process.ExitCode, stdout, stderr.Result);
                }
            }
            catch (Win32Exception e)
            {
                return new BuildResult { ExitCode = -1, Failure = NotFound(invocation, e.Message) };
            }
        }

        static BuildResult Parse(Invocation invocation, int exitCode, string stdout, string stderr)
        {
            var result = new BuildResult { ExitCode = exitCode, Stderr = stderr ?? "" };
            string text = (stdout ?? "").Trim();
            if (text.Length == 0)
            {
                string said = BuildResult.Tail(stderr);
                result.Failure = NotFound(invocation, "it printed nothing, exit code " + exitCode) +
                                 (said.Length > 0 ? "\nIts error output:\n" + said : "");
                return result;
            }
            try
            {
                result.Document = JsonUtility.FromJson<BuildDocument>(NullNumber.Replace(text, "\"$1\": 0"));
            }
            catch (ArgumentException) { }
            if (result.Document == null)
                result.Failure = invocation.FileName + " did not answer with JSON (exit code " + exitCode +
                                 "). Is it sfx-pipeline? It printed:\n" + BuildResult.Tail(text);
            return result;
        }

        static string NotFound(Invocation invocation, string why)
        {
            return "The sfx-pipeline CLI was not found: could not run \"" + invocation.FileName + "\" (" + why + ").\n" +
                   "Install it with `pip install sfx-pipeline`, then set its full path in Tools > Sound Effects > " +
                   "Settings… (Preferences > Sound Effects): the sfx-pipeline executable, or the Python " +
                   "interpreter it is installed in. Unity started from the Hub may not see the PATH of your terminal.";
        }

        /// <summary>One command-line argument, quoted by the rules Process uses to split Arguments
        /// (those of the Windows C runtime), so a project path with spaces stays one argument.</summary>
        public static string Quote(string argument)
        {
            if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '"' }) < 0) return argument;
            var quoted = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\') { backslashes++; continue; }
                // Backslashes count as escapes only before a quote: double them there.
                quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes).Append(c);
                backslashes = 0;
            }
            return quoted.Append('\\', backslashes * 2).Append('"').ToString();
        }
    }
}
