/* The test host site's script: marks the page, to show it ran. */
document.documentElement.dataset.hostScript = "ran";
