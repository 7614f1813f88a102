namespace ShadowPt.Kernel.Programs;

/// <summary>
/// The whitelists for names in a program. Labels become C identifiers in the native runner and
/// keys in observations, so they are deliberately narrow.
/// </summary>
public static class ProgramNames
{
    /// <summary>A lowercase ASCII letter, then up to 15 lowercase ASCII letters, digits or '_'.</summary>
    public static bool IsValidLabel(string? label)
    {
        if (label is null || label.Length == 0 || label.Length > ProgramLimits.LabelLengthMax)
        {
            return false;
        }

        if (!char.IsAsciiLetterLower(label[0]))
        {
            return false;
        }

        foreach (char c in label)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Lowercase ASCII letters, digits and '-', starting with a letter or digit.</summary>
    public static bool IsValidProgramName(string? name)
    {
        if (name is null || name.Length == 0 || name.Length > ProgramLimits.NameLengthMax || name[0] == '-')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One line of printable text, not empty, at most <see cref="ProgramLimits.DescriptionLengthMax"/>.</summary>
    public static bool IsValidDescription(string? description)
    {
        if (string.IsNullOrWhiteSpace(description) || description.Length > ProgramLimits.DescriptionLengthMax)
        {
            return false;
        }

        foreach (char c in description)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
