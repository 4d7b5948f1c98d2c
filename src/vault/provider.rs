//! Which provider a key belongs to: from an explicit choice, the key's prefix, or a `.env` variable name.
//! Prefixes follow gitleaks' and trufflehog's published patterns (shared/reference/provider-apis §5).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    OpenAI,
    Anthropic,
    OpenRouter,
    Groq,
    XAI,
    Google,
    DeepSeek,
    Mistral,
    Other,
}

impl Provider {
    pub const ALL: [Provider; 9] = [
        Provider::OpenAI,
        Provider::Anthropic,
        Provider::OpenRouter,
        Provider::Groq,
        Provider::XAI,
        Provider::Google,
        Provider::DeepSeek,
        Provider::Mistral,
        Provider::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAI => "openai",
            Provider::Anthropic => "anthropic",
            Provider::OpenRouter => "openrouter",
            Provider::Groq => "groq",
            Provider::XAI => "xai",
            Provider::Google => "google",
            Provider::DeepSeek => "deepseek",
            Provider::Mistral => "mistral",
            Provider::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        let lower = name.trim().to_ascii_lowercase();
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == lower)
            .or(match lower.as_str() {
                "gemini" => Some(Provider::Google),
                "x.ai" | "grok" => Some(Provider::XAI),
                _ => None,
            })
    }

    /// The provider a key's shape names unambiguously, if any.
    pub fn from_key(key: &str) -> Option<Provider> {
        let key = key.trim();
        if key.starts_with("sk-ant-") {
            Some(Provider::Anthropic)
        } else if key.starts_with("sk-or-") {
            Some(Provider::OpenRouter)
        } else if key.starts_with("sk-proj-")
            || key.starts_with("sk-svcacct-")
            || key.starts_with("sk-admin-")
            || (key.starts_with("sk-") && key.contains("T3BlbkFJ"))
        {
            Some(Provider::OpenAI)
        } else if key.starts_with("gsk_") {
            Some(Provider::Groq)
        } else if key.starts_with("xai-") {
            Some(Provider::XAI)
        } else if key.starts_with("AIza") {
            Some(Provider::Google)
        } else {
            None
        }
    }

    /// The provider a `.env` variable name points to, e.g. `OPENAI_ADMIN_KEY`.
    pub fn from_variable(name: &str) -> Option<Provider> {
        let upper = name.to_ascii_uppercase();
        let table: [(&str, Provider); 10] = [
            ("OPENROUTER", Provider::OpenRouter),
            ("OPENAI", Provider::OpenAI),
            ("ANTHROPIC", Provider::Anthropic),
            ("CLAUDE", Provider::Anthropic),
            ("GROQ", Provider::Groq),
            ("XAI", Provider::XAI),
            ("GEMINI", Provider::Google),
            ("GOOGLE", Provider::Google),
            ("DEEPSEEK", Provider::DeepSeek),
            ("MISTRAL", Provider::Mistral),
        ];
        table
            .into_iter()
            .find(|(word, _)| upper.split('_').any(|part| part == *word))
            .map(|(_, p)| p)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_their_provider() {
        let cases = [
            ("sk-ant-api03-abc", Some(Provider::Anthropic)),
            ("sk-ant-admin01-abc", Some(Provider::Anthropic)),
            ("sk-or-v1-0123", Some(Provider::OpenRouter)),
            ("sk-proj-abc", Some(Provider::OpenAI)),
            ("sk-admin-abc", Some(Provider::OpenAI)),
            (
                "sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst",
                Some(Provider::OpenAI),
            ),
            ("gsk_abc", Some(Provider::Groq)),
            ("xai-abc", Some(Provider::XAI)),
            ("AIzaSyabc", Some(Provider::Google)),
            ("sk-0123456789abcdef0123456789abcdef", None),
        ];
        for (key, want) in cases {
            assert_eq!(Provider::from_key(key), want, "key shape {key:?}");
        }
    }

    #[test]
    fn variable_names_break_ties() {
        assert_eq!(
            Provider::from_variable("DEEPSEEK_API_KEY"),
            Some(Provider::DeepSeek)
        );
        assert_eq!(
            Provider::from_variable("OPENAI_ADMIN_KEY"),
            Some(Provider::OpenAI)
        );
        assert_eq!(
            Provider::from_variable("OPENROUTER_API_KEY"),
            Some(Provider::OpenRouter)
        );
        assert_eq!(Provider::from_variable("DATABASE_URL"), None);
    }
}
