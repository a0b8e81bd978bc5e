using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Conductor.Core.Jobs;
using Conductor.Core.Nodes;

namespace Conductor.Worker.Node;

/// <summary>
/// Finds the GPUs a node offers, once at worker start. Configured devices
/// (<c>Conductor:Worker:Gpus</c>, <see cref="ParseConfigured"/>) win over detection, so a node
/// without a GPU can be tested and a node can offer fewer devices than it has. Detection: NVIDIA's
/// <c>nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader</c>, else the
/// <c>/dev/nvidia[0-9]*</c> device nodes; AMD's <c>/dev/dri/renderD*</c> only where <c>rocm-smi</c>
/// is installed (Intel graphics have render nodes too). nvidia-smi is run only when it is on PATH.
/// </summary>
public static partial class DeviceDetection
{
    [GeneratedRegex(@"\Anvidia(\d+)\z")]
    private static partial Regex NvidiaNode();

    [GeneratedRegex(@"\ArenderD(\d+)\z")]
    private static partial Regex RenderNode();

    /// <summary>The devices from configuration when given, else detected; with where they came from.</summary>
    public static (IReadOnlyList<NodeDevice> Devices, string Source) Find(string? configured, string dev = "/dev")
    {
        if (!string.IsNullOrWhiteSpace(configured)) return (ParseConfigured(configured, dev), "configuration (Conductor:Worker:Gpus)");
        if (FindOnPath("nvidia-smi") is { } smi && RunNvidiaSmi(smi) is { } output && ParseNvidiaSmi(output, dev) is { Count: > 0 } found)
            return (found, "nvidia-smi");
        if (ScanNvidiaNodes(dev) is { Count: > 0 } nodes) return (nodes, $"{dev}/nvidia*");
        if (FindOnPath("rocm-smi") is not null && ScanRenderNodes(dev) is { Count: > 0 } amd) return (amd, $"{dev}/dri/renderD* (rocm-smi present)");
        return ([], "detection (none found)");
    }

    /// <summary>
    /// The configured devices: <c>none</c> or <c>0</c> (no GPUs), a count (<c>2</c>: ids 0 and 1,
    /// model <c>gpu</c>), or a list of <c>ID[:MODEL[:VENDOR[:PATH]]]</c> separated by commas
    /// (<c>0:a100,1:a100</c>, <c>0:mi250:amd:/dev/dri/renderD128</c>). Without a path an NVIDIA
    /// device is <c>/dev/nvidiaID</c> when that device node exists, else it has none.
    /// </summary>
    public static IReadOnlyList<NodeDevice> ParseConfigured(string text, string dev = "/dev")
    {
        text = text.Trim();
        if (text is "none" or "0") return [];
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            if (count > GresRequest.MaxCount) throw Bad(text, $"at most {GresRequest.MaxCount} devices");
            return Enumerable.Range(0, count).Select(i => new NodeDevice(i, "gpu", NodeDevice.Nvidia, DefaultPath(i, NodeDevice.Nvidia, dev))).ToList();
        }
        var devices = new List<NodeDevice>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(':', 4);
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id > 1023)
                throw Bad(entry, "each entry starts with a device id from 0 to 1023");
            var model = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : "gpu";
            if (!GresRequest.IsModelName(model)) throw Bad(entry, "a model is letters, digits, '_', '.' or '-'");
            var vendor = parts.Length > 2 && parts[2].Length > 0 ? parts[2].ToLowerInvariant() : NodeDevice.Nvidia;
            if (vendor is not (NodeDevice.Nvidia or NodeDevice.Amd)) throw Bad(entry, "the vendor is nvidia or amd");
            var path = parts.Length > 3 ? parts[3] : DefaultPath(id, vendor, dev);
            if (path is not null && !Path.IsPathRooted(path)) throw Bad(entry, "a device path is absolute");
            if (devices.Any(d => d.Id == id)) throw Bad(entry, $"device id {id} is listed twice");
            devices.Add(new NodeDevice(id, model, vendor, path));
        }
        if (devices.Count > GresRequest.MaxCount) throw Bad(text, $"at most {GresRequest.MaxCount} devices");
        return devices;
    }

    /// <summary>
    /// nvidia-smi's CSV lines (<c>0, GPU-5d1f..., NVIDIA A100-SXM4-40GB, 40960 MiB</c>): the index is
    /// the id (what CUDA_VISIBLE_DEVICES names), the model the product name in lower case without
    /// the vendor's prefix, spaces as '-' (<c>a100-sxm4-40gb</c>; <c>gpu:a100</c> asks for it).
    /// </summary>
    public static IReadOnlyList<NodeDevice> ParseNvidiaSmi(string output, string dev = "/dev")
    {
        var devices = new List<NodeDevice>();
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length < 3 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)) continue;
            devices.Add(new NodeDevice(index, ModelName(fields[2]), NodeDevice.Nvidia, DefaultPath(index, NodeDevice.Nvidia, dev),
                fields[1].Length > 0 ? fields[1] : null));
        }
        return devices;
    }

    /// <summary><c>NVIDIA A100-SXM4-40GB</c> → <c>a100-sxm4-40gb</c>; <c>Tesla V100-PCIE-16GB</c> → <c>v100-pcie-16gb</c>.</summary>
    public static string ModelName(string product)
    {
        var name = product.Trim().ToLowerInvariant();
        foreach (var prefix in new[] { "nvidia ", "tesla ", "geforce ", "amd ", "radeon " })
            if (name.StartsWith(prefix, StringComparison.Ordinal)) name = name[prefix.Length..];
        name = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')).Trim('-');
        if (name.Length > GresRequest.MaxModelLength) name = name[..GresRequest.MaxModelLength];
        return GresRequest.IsModelName(name) ? name : "gpu";
    }

    private static IReadOnlyList<NodeDevice> ScanNvidiaNodes(string dev) => Scan(dev, NvidiaNode(), m => new NodeDevice(m.Id, "gpu", NodeDevice.Nvidia, m.Path));

    private static IReadOnlyList<NodeDevice> ScanRenderNodes(string dev)
    {
        var i = 0;
        return Scan(Path.Combine(dev, "dri"), RenderNode(), m => new NodeDevice(i++, "gpu", NodeDevice.Amd, m.Path));
    }

    private static List<NodeDevice> Scan(string dir, Regex name, Func<(int Id, string Path), NodeDevice> make)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(dir)
                .Select(p => (Match: name.Match(Path.GetFileName(p)), Path: p))
                .Where(x => x.Match.Success)
                .Select(x => (Id: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), x.Path))
                .OrderBy(x => x.Id).Select(make).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? DefaultPath(int id, string vendor, string dev)
    {
        if (vendor != NodeDevice.Nvidia) return null;
        var path = Path.Combine(dev, $"nvidia{id.ToString(CultureInfo.InvariantCulture)}");
        return File.Exists(path) ? path : null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static string? RunNvidiaSmi(string smi)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(smi, ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                p.Kill();
                return null;
            }
            return p.ExitCode == 0 ? output.Result : null;
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }

    private static FormatException Bad(string entry, string rule) =>
        new($"Conductor:Worker:Gpus: '{entry}' is not a device list ({rule}). Use a count (2), none, or ID[:MODEL[:VENDOR[:PATH]]],... such as 0:a100,1:a100.");
}
