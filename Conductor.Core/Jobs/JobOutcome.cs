namespace Conductor.Core.Jobs;

/// <summary>How an attempt ends: the state it moves to, its reason, and the sentence users read as its error message.</summary>
public readonly record struct JobOutcome(JobState State, string Reason, string? Message);
